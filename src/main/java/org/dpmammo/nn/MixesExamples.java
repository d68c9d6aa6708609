package org.dpmammo.nn;

/**
 * Marks a layer whose output for one example depends on the other examples of the batch (BatchNorm in training
 * mode). Per-example gradients do not exist for a model containing one, so a DP engine must refuse it, as Opacus'
 * ModuleValidator does; use GroupNorm, LayerNorm or InstanceNorm instead.
 */
public interface MixesExamples {}
