package org.dpmammo.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Images stored as files, each with a label and an optional patient id; built by {@link Datasets}. */
public final class FileDataset implements Dataset {
    /** One image file. */
    public record Entry(Path path, int label, String patientId) {
        public Entry {
            Labels.name(label);
        }
    }

    private final List<Entry> entries;
    private final String description;
    private final long maxPixels;

    public FileDataset(List<Entry> entries, String description) {
        this(entries, description, ImageIo.DEFAULT_MAX_PIXELS);
    }

    public FileDataset(List<Entry> entries, String description, long maxPixels) {
        this.entries = List.copyOf(entries);
        this.description = description;
        this.maxPixels = maxPixels;
    }

    /** The pixel limit {@link #image} applies. */
    public long maxPixels() {
        return maxPixels;
    }

    public List<Entry> entries() {
        return entries;
    }

    public Path path(int i) {
        return entries.get(i).path();
    }

    @Override
    public int size() {
        return entries.size();
    }

    @Override
    public int label(int i) {
        return entries.get(i).label();
    }

    @Override
    public String patientId(int i) {
        return entries.get(i).patientId();
    }

    @Override
    public String name(int i) {
        return entries.get(i).path().getFileName().toString();
    }

    @Override
    public GrayImage image(int i) throws IOException {
        return ImageIo.read(path(i), maxPixels);
    }

    @Override
    public byte[] contentHash(int i) throws IOException {
        return Dataset.sha256().digest(ImageIo.readBytes(path(i)));
    }

    @Override
    public String description() {
        return description;
    }
}
