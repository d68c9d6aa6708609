package org.dpmammo.nn;

import org.dpmammo.autograd.Variable;

/** Modules applied one after another, registered as children "0", "1", … as in PyTorch. */
public final class Sequential extends Module {
    private int size;

    public Sequential(Module... modules) {
        for (Module m : modules) add(m);
    }

    public Sequential add(Module m) {
        registerModule(Integer.toString(size++), m);
        return this;
    }

    public int size() {
        return size;
    }

    public Module get(int index) {
        if (index < 0 || index >= size) throw new IndexOutOfBoundsException("Sequential: index " + index + " of " + size);
        return namedChildren().get(Integer.toString(index));
    }

    @Override
    public Variable forward(Variable x) {
        Variable y = x;
        for (Module m : namedChildren().values()) y = m.forward(y);
        return y;
    }
}
