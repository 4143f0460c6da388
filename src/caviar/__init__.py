"""caviar: hyperparameter tuning for deep networks.

Random search on the right scales, coarse to fine, babysitting one model or training a whole
population at once. The public API is re-exported here; ``caviar.nn`` (PyTorch) is imported
only on demand.
"""

from caviar.errors import (
    CaviarError,
    ObjectiveLoadError,
    ParamConflictError,
    SchemaVersionError,
    SpaceError,
    StorageError,
    StudyConflictError,
    StudyNotFoundError,
    TrialPruned,
    TrialStateError,
    UsageError,
)
from caviar.samplers import GridSampler, RandomSampler, Sampler, SobolSampler
from caviar.space import Choice, Float, Int, Space
from caviar.storage import MemoryStorage, Storage, get_storage
from caviar.study import Study, create_study, load_study
from caviar.trial import Trial
from caviar.trial_record import COMPLETE, FAIL, PRUNED, RUNNING, FrozenTrial

__version__ = "0.1.0"

__all__ = [
    "COMPLETE", "FAIL", "PRUNED", "RUNNING", "CaviarError", "Choice", "Float", "FrozenTrial",
    "GridSampler", "Int", "MemoryStorage", "ObjectiveLoadError", "ParamConflictError",
    "RandomSampler", "Sampler", "SchemaVersionError", "SobolSampler", "Space", "SpaceError",
    "Storage", "StorageError", "Study", "StudyConflictError", "StudyNotFoundError", "Trial",
    "TrialPruned", "TrialStateError", "UsageError", "__version__", "create_study",
    "get_storage", "load_study",
]
