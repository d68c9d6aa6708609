/**
 * dpmammo as a Java module. It exports {@link org.dpmammo.api}, the public API, and the packages of the engine types
 * the API's calls take and return — models and layers ({@code nn}), optimizers ({@code optim}), tensors
 * ({@code tensor}), variables and losses ({@code autograd}), images and datasets ({@code data}) and the seeded
 * generator layers are initialised from ({@code util.Rng}); everything else (the command line, privacy internals,
 * backends, trainers, experiments) is internal.
 *
 * <p>The Vector API (an incubator module in Java 17) and JCuda are optional: {@code requires static}, so the module
 * resolves without them; the SIMD kernels load when {@code --add-modules jdk.incubator.vector} is given, the CUDA
 * backend only on {@code --device cuda|auto} with JCuda on the module path.
 */
module org.dpmammo {
    exports org.dpmammo.api;
    exports org.dpmammo.autograd;
    exports org.dpmammo.data;
    exports org.dpmammo.nn;
    exports org.dpmammo.optim;
    exports org.dpmammo.tensor;
    exports org.dpmammo.util;

    requires java.desktop; // javax.imageio, java.awt for PNG files and plots
    requires java.management; // heap and CPU figures in benchmarks and progress lines
    requires jdk.management; // com.sun.management: process CPU time and allocation counters in benchmarks
    requires org.apache.commons.cli;
    requires com.fasterxml.jackson.databind;
    requires static jdk.incubator.vector;
    requires static jcuda;

    // Records and maps of these packages are written as JSON: Jackson, and only Jackson, may reflect on them.
    opens org.dpmammo.backend to com.fasterxml.jackson.databind;
    opens org.dpmammo.backend.cpu to com.fasterxml.jackson.databind;
    opens org.dpmammo.backend.cuda to com.fasterxml.jackson.databind;
    opens org.dpmammo.check to com.fasterxml.jackson.databind;
    opens org.dpmammo.cli to com.fasterxml.jackson.databind;
    opens org.dpmammo.cli.bench to com.fasterxml.jackson.databind;
    opens org.dpmammo.experiment to com.fasterxml.jackson.databind;
    opens org.dpmammo.models.gan to com.fasterxml.jackson.databind;
    opens org.dpmammo.models.swin to com.fasterxml.jackson.databind;
    opens org.dpmammo.privacy.accounting to com.fasterxml.jackson.databind;
    opens org.dpmammo.privacy.audit to com.fasterxml.jackson.databind;
    opens org.dpmammo.privacy.dpsgd to com.fasterxml.jackson.databind;
    opens org.dpmammo.privacy.ledger to com.fasterxml.jackson.databind;
    opens org.dpmammo.privacy.noise to com.fasterxml.jackson.databind;
    opens org.dpmammo.train to com.fasterxml.jackson.databind;
    opens org.dpmammo.train.gan to com.fasterxml.jackson.databind;
}
