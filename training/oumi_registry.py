"""Everything review-forge registers with Oumi (datasets, reward functions, the rollout), in one
import.

The trainer imports it directly. The `oumi` CLI has no way to import project code except
`OUMI_EXTRA_DEPS_FILE`, a text file naming Python files that Oumi imports by file stem before it
reads the registry: `training/oumi_extra_deps.txt` names this file, so from the repository root

    OUMI_EXTRA_DEPS_FILE=training/oumi_extra_deps.txt oumi train -c training/configs/grpo_cpu.yaml

The modules are imported under their package names, so nothing is registered twice.
"""

import oumi.builders  # noqa: F401 - before oumi.core.*, or a circular import fails
from oumi.core.registry import REGISTRY, RegistryType

import review_forge.training.oumi_data  # registers review_forge_grpo, review_forge_sft
import review_forge.training.rewards  # noqa: F401 - registers review_forge_format, _target, _feedback
from review_forge.training.rollout import NAME, cpu_rollout

if not REGISTRY.contains(NAME, RegistryType.ROLLOUT_FUNCTION):
    REGISTRY.register(NAME, RegistryType.ROLLOUT_FUNCTION, cpu_rollout)
