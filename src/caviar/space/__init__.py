"""WHAT may be tried: params, their scales, and the space they form."""

from caviar.space.params import Choice, Float, Int, Param, param_from_json
from caviar.space.scales import SCALES, Linear, Log, ReverseLog, Scale, get_scale
from caviar.space.space import Space, as_param

__all__ = [
    "SCALES", "Choice", "Float", "Int", "Linear", "Log", "Param", "ReverseLog", "Scale", "Space",
    "as_param", "get_scale", "param_from_json",
]
