package org.dpmammo.cli;

import java.io.PrintStream;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.backend.cuda.CudaProvider;
import org.dpmammo.util.Scope;

/**
 * {@code --device cpu|cuda|auto}: which backend a command computes on. The choice is installed with
 * {@link Backends#use} on the command's thread for the command's run; the trainers compute on that thread only
 * (data loading threads decode images into host arrays), so the whole run follows it, and provenance.json records
 * it. Only cuda and auto ask for CUDA, so {@code --device cpu} never loads JCuda.
 */
final class DeviceOption {
    private DeviceOption() {}

    /** {@code --device cuda} without a usable GPU: exit status 1 (a failure of the machine, not of the command line). */
    static final class Unavailable extends RuntimeException {
        Unavailable(String message) {
            super(message);
        }
    }

    static Options add(Options options, String dflt) {
        return options.addOption(Option.builder().longOpt("device").hasArg().argName("D")
                .desc("cpu, cuda (the first GPU; exit 1 if none is usable) or auto (the GPU where one is usable, else the CPU); default " + dflt).build());
    }

    /** The backend the option asks for; auto says in one line on err what it chose and, for the CPU, why. */
    static Backend choose(CommandLine cl, String dflt, PrintStream err) {
        String device = cl.getOptionValue("device", dflt);
        switch (device) {
            case "cpu":
                return Backends.cpu();
            case "cuda": {
                CudaProvider.Availability a = CudaProvider.open(0);
                if (!a.available()) throw new Unavailable("--device cuda: no usable GPU: " + a.reason());
                return a.backend();
            }
            case "auto": {
                CudaProvider.Availability a = CudaProvider.open(0);
                if (a.available()) {
                    err.println("dpmammo: --device auto: computing on " + a.backend().describe());
                    return a.backend();
                }
                err.println("dpmammo: --device auto: no usable GPU (" + a.reason() + "); computing on the CPU");
                return Backends.cpu();
            }
            default:
                throw new UsageException("--device must be cpu, cuda or auto, got '" + device + "'");
        }
    }

    /** Installs the chosen backend on this thread until the scope closes. */
    static Scope install(CommandLine cl, String dflt, PrintStream err) {
        return Backends.use(choose(cl, dflt, err));
    }
}
