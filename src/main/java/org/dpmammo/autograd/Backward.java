package org.dpmammo.autograd;

import org.dpmammo.tensor.Tensor;

/**
 * The backward rule of one recorded op: from the gradient of its output to the gradients of its inputs, in input
 * order (null where an input needs none). Everything the rule captures is released once it has run.
 */
@FunctionalInterface
public interface Backward {
    Tensor[] apply(Tensor gradOut);
}
