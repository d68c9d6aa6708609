package org.dpmammo.train;

import java.io.IOException;
import java.util.List;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.GrayImage;

/** Several datasets read as one (real plus synthetic training folders), indices running through them in order. */
public final class ConcatDataset implements Dataset {
    private final List<Dataset> parts;
    private final int[] starts;

    public ConcatDataset(List<Dataset> parts) {
        this.parts = List.copyOf(parts);
        starts = new int[parts.size() + 1];
        for (int i = 0; i < parts.size(); i++) starts[i + 1] = starts[i] + parts.get(i).size();
    }

    private int part(int i) {
        if (i < 0 || i >= size()) throw new IndexOutOfBoundsException("example " + i + " of " + size());
        int p = 0;
        while (starts[p + 1] <= i) p++;
        return p;
    }

    @Override
    public int size() {
        return starts[parts.size()];
    }

    @Override
    public int label(int i) {
        int p = part(i);
        return parts.get(p).label(i - starts[p]);
    }

    @Override
    public String patientId(int i) {
        int p = part(i);
        return parts.get(p).patientId(i - starts[p]);
    }

    @Override
    public String name(int i) {
        int p = part(i);
        return parts.get(p).name(i - starts[p]);
    }

    @Override
    public GrayImage image(int i) throws IOException {
        int p = part(i);
        return parts.get(p).image(i - starts[p]);
    }

    @Override
    public byte[] contentHash(int i) throws IOException {
        int p = part(i);
        return parts.get(p).contentHash(i - starts[p]);
    }

    @Override
    public String description() {
        return String.join(" + ", parts.stream().map(Dataset::description).toList());
    }
}
