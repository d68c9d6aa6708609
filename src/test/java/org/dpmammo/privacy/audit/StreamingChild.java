package org.dpmammo.privacy.audit;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.Iterator;
import org.dpmammo.data.BatchSampler;
import org.dpmammo.data.DataLoader;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Datasets;
import org.dpmammo.data.Pipeline;
import org.dpmammo.data.Transforms;

/**
 * Child process of {@link LoadTest}: streams every image of a folder through the data loader in batches of 100 on a
 * small heap, then prints the image count, a checksum and the peak heap used.
 */
public final class StreamingChild {
    public static void main(String[] args) throws IOException {
        Dataset ds = Datasets.open(Path.of(args[0]));
        Pipeline p = new Pipeline(java.util.List.of(Transforms.resizeStep(32, 32), Transforms.signedStep()));
        long images = 0;
        double sum = 0;
        try (DataLoader loader = new DataLoader(ds, p, BatchSampler.sequential(100), 0, 2, false)) {
            for (Iterator<DataLoader.Batch> it = loader.epoch(0); it.hasNext();) {
                DataLoader.Batch b = it.next();
                images += b.size();
                for (float v : b.images().data()) sum += v;
            }
        }
        String fingerprint = ds.fingerprint();
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) peak += pool.getPeakUsage().getUsed();
        }
        System.out.println(images + " " + sum + " " + fingerprint.substring(0, 12) + " " + peak);
    }
}
