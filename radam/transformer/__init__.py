"""Chapter 5's test of why warmup helps, run where warmup is folklore: a small post-LayerNorm Transformer.

Design note. Chapter 5 separates two explanations of warmup on a small MLP (:mod:`radam.warmup_evidence`): the
*variance* of the early adaptive rate psi_t = 1 / sqrt(v_hat) (Liu et al., 2020, RAdam) and the *size* of the
early updates, about lr in every coordinate (Ma and Yarats, 2021). This subpackage repeats the test on the
architecture where Adam without warmup is known to fail (Xiong et al., 2020; Liu et al., 2020, Admin):

- :mod:`~radam.transformer.task` (NumPy only): a seeded synthetic task, sorting (or reversing) token sequences,
  with a fixed training set (the "full batch") and held-out sequences; nothing is downloaded.
- :mod:`~radam.transformer.model`: the post-LN encoder in Keras 3, no dropout; each seed's initial weights.
- :mod:`~radam.transformer.arms`: the arms' Keras optimizers. Adam; Adam + linear warmup over 2 / (1 - beta_2)
  steps; RAdam (:class:`radam.keras.RAdam`); and the arms that separate the views: exact (whole training set)
  gradients during the first 2 / (1 - beta_2) steps, where psi_t rests on few gradients; v known from the start
  (:class:`~radam.transformer.arms.PrimedAdam`, the Keras twin of chapter 5's); and a tenth of the rate without
  warmup (smaller first steps: both views predict it helps, so it does not separate them). The variance view
  predicts that the exact-gradient and v-known arms are spared like warmup; the size view that they fail like Adam.
- :mod:`~radam.transformer.experiment`: one run. The arms of a seed share initial weights and minibatches
  (paired). The endpoint, fixed before any run was looked at: mean held-out token accuracy of the last five
  evaluations; a run *fails* when its endpoint is below halfway from chance to perfect.
- :mod:`~radam.transformer.results` (NumPy only): results.json (strict JSON: settings, runs, provenance,
  fingerprint), failure counts, and chapter 8's paired verdicts (:mod:`radam.cifar10.stats`).
- :mod:`~radam.transformer.fingerprint`: the digests (task, batches, initial weights) and the arms' update probes
  of a folder, and :func:`~radam.transformer.fingerprint.stale_parts`: what this code would no longer reproduce.
- :mod:`~radam.transformer.live`: chapter 5's live slice, the first steps of seed 0 of Adam and Adam + warmup
  retrained and judged by the seeds' band (:func:`radam.cifar10.live_check.judge`): identical on the machine and
  thread settings that made the results, within the committed seeds' widened range elsewhere.
- :mod:`~radam.transformer.figures`: held-out accuracy and the size of the first updates, one colour per arm.
- ``python -m radam.transformer --out DIR``: trains the arms x seeds into DIR, resumes there, records the
  provenance (:mod:`radam.cifar10.provenance`, with the thread settings), refuses to resume a folder this code
  would not reproduce, and uses ``radam.cifar10.store``'s lock and atomic writes.
"""
