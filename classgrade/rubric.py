"""The rubric: which modules count, their points (per module or per check) and each test's visibility.

Default: every module of the handout is worth 1 point, awarded when all its checks pass (a warning passes);
Conv2d, MaxPool2d, Adam and the whole network's training are extra (0 points) unless the rubric names them.
rubric.toml:

    visibility = "visible"            # Gradescope's visibility of every test (visible, hidden, after_due_date,
                                      # after_published)
    [modules]
    Linear = 2                        # points; once [modules] is given, only the modules it names count
    Conv2d = 1
    [modules.Sequential]
    points = 3                        # or points per check, awarded check by check:
    checks = { "forward" = 1, "backward" = 2 }
    visibility = "after_published"
"""
import tomllib
from dataclasses import dataclass, field

from engine.grade.adapter import ALIASES
from engine.grade.grader import MODULES, NEWER
from i18n import domain

_, ngettext = domain("classgrade")

HANDOUT = tuple(kind for kind in MODULES if kind not in NEWER)
KINDS = tuple(MODULES) + ("training",)  # what the gradebook has a column for (the import's notes are not)
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
KIND = {alias: kind for kind, aliases in ALIASES.items() for alias in aliases}  # the learner's name -> the handout's


def kind_of(name):
    """The handout's name of a module the learner named name (ClassNLLCriterion -> NLLCriterion)."""
    return KIND.get(name, name)


@dataclass
class Module:
    points: float = 1.0
    checks: dict = field(default_factory=dict)  # check -> points; empty: the module's points for all its checks
    visibility: str = "visible"


class Rubric:
    """rubric.modules: {kind: Module} of the modules that count, in the handout's order; extra ones are worth 0."""

    def __init__(self, modules=None, visibility="visible"):
        if visibility not in VISIBILITIES:
            raise ValueError(_("rubric: visibility must be one of {visibilities}, not {visibility!r}").format(
                visibilities=", ".join(VISIBILITIES), visibility=visibility))
        self.visibility = visibility
        self.modules = modules if modules is not None else {kind: Module(visibility=visibility) for kind in HANDOUT}

    @classmethod
    def load(cls, path):
        with open(path, "rb") as file:
            found = tomllib.load(file)
        visibility = found.get("visibility", "visible")
        table = found.get("modules")
        if table is None:
            return cls(visibility=visibility)
        modules = {}
        for name, value in table.items():
            if isinstance(value, dict):
                checks = {str(check): float(points) for check, points in value.get("checks", {}).items()}
                module = Module(float(value.get("points", sum(checks.values()) if checks else 1.0)), checks,
                                value.get("visibility", visibility))
            elif isinstance(value, (int, float)):
                module = Module(float(value), visibility=visibility)
            else:
                raise ValueError(_("rubric {path}: modules.{name} must be a number of points or a table").format(
                    path=path, name=name))
            if module.visibility not in VISIBILITIES:
                raise ValueError(_("rubric {path}: modules.{name}.visibility must be one of {visibilities}").format(
                    path=path, name=name, visibilities=", ".join(VISIBILITIES)))
            modules[kind_of(name)] = module
        return cls(modules, visibility)

    def module(self, kind):
        """The Module of kind: its rubric entry, or 0 points when it does not count."""
        return self.modules.get(kind) or Module(0.0, visibility=self.visibility)

    @property
    def max_score(self):
        return sum(module.points for module in self.modules.values())

    def order(self, seen=()):
        """Every module to report: the counted ones, then the extra ones seen or known."""
        extra = [kind for kind in KINDS + tuple(seen) if kind not in self.modules]
        return list(self.modules) + list(dict.fromkeys(extra))

    def score(self, kind, status, checks):
        """Points of one module whose status is status and checks {check: status}."""
        module = self.module(kind)
        if module.checks:
            return sum(points for check, points in module.checks.items() if checks.get(check) in ("pass", "warn"))
        return module.points if status in ("pass", "warn") else 0.0
