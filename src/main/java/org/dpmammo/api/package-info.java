/**
 * dpmammo's public Java API: the package meant to be called from other programs. Besides it, module
 * {@code org.dpmammo} exports only the packages of the engine types these calls take (listed below); everything
 * else is internal and may change without notice.
 *
 * <ul>
 *   <li>{@link org.dpmammo.api.PrivateTrainer} — DP-SGD training of a model with a target ε, δ, clipping norm and
 *       accountant, every step recorded in a privacy ledger first; ε read back from the ledger.</li>
 *   <li>{@link org.dpmammo.api.Accounting} — ε, σ and steps of DP-SGD as plain method calls (RDP or PRV), and the
 *       schedule the trainers follow.</li>
 *   <li>{@link org.dpmammo.api.MassClassifier} — load a classifier checkpoint (dpmammo's, or a torchvision state
 *       dict with its architecture named) and classify images or tensors: P(benign), P(malignant), the decision.</li>
 * </ul>
 *
 * <p>The API takes and returns a few types of the engine itself where a caller must build or hold them: a model
 * ({@code org.dpmammo.nn.Module} and its layers), an optimizer ({@code org.dpmammo.optim.SGD}, {@code Adam},
 * {@code AdamW}), tensors ({@code org.dpmammo.tensor.Tensor}, {@code org.dpmammo.autograd.Variable} in a loss),
 * and images and datasets ({@code org.dpmammo.data.GrayImage}, {@code Dataset}, {@code Datasets.open}).
 *
 * <p>Run-time behaviour, checked by a test that runs the main commands in a child JVM: dpmammo opens no network
 * connection, and writes only under the folders it is given (a run folder, a ledger, an output file) and the system
 * temporary folder ({@code java.io.tmpdir}). Nothing is read from or written to the user's home folder.
 */
package org.dpmammo.api;
