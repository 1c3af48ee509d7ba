"""Stand-ins for the plotting and display libraries a notebook imports but the grading machine lacks.

A cell that imports matplotlib only to plot should not fail the homework where matplotlib is missing: when
a cell fails on `import matplotlib.pyplot as plt` because matplotlib cannot be imported, matplotlib becomes a
stand-in whose every attribute and call does nothing, the cell runs again, and the report warns that its
plots were left out. Installed libraries are used as they are (matplotlib with its non-interactive backend).
"""
import importlib.abc
import importlib.machinery
import sys
import types

LIBRARIES = ("matplotlib", "pylab", "seaborn", "plotly", "bokeh", "altair", "IPython", "ipywidgets", "tqdm",
             "graphviz")


class Stub:
    """Does nothing, whatever is asked of it; tqdm's wrappers hand their iterable back."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Stub(f"{self._name}.{name}")

    def __call__(self, *args, **kwargs):
        if self._name.startswith("tqdm"):
            if self._name.endswith("trange"):
                return range(*args)
            if args:
                return args[0]
        return Stub(f"{self._name}()")

    def __getitem__(self, key):
        return Stub(f"{self._name}[]")

    def __setitem__(self, key, value):
        pass

    def __iter__(self):  # fig, ax = plt.subplots(): two of them
        return iter((Stub(self._name), Stub(self._name)))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __repr__(self):
        return f"<{self._name}: not installed>"


def stub(name):
    return Stub(name)


class StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Stub(f"{self.__name__}.{name}")


class DisplayStubs(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """The stand-ins in use (`used`, in order), and the finder of their submodules (matplotlib.pyplot)."""

    def __init__(self):
        self.used = []

    def stands_in(self, error):
        """Whether error is a missing display library, now replaced by a stand-in (the cell may run again)."""
        root = (getattr(error, "name", None) or "").split(".", 1)[0]
        if not isinstance(error, ImportError) or root not in LIBRARIES or root in self.used:
            return False
        self.used.append(root)
        for name in [n for n in sys.modules if n == root or n.startswith(f"{root}.")]:
            del sys.modules[name]  # what a broken install left half imported
        return True

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".", 1)[0] not in self.used:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        module = StubModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass

    def __enter__(self):
        sys.meta_path.insert(0, self)
        return self

    def __exit__(self, *exc):
        sys.meta_path.remove(self)
        for name in [n for n in sys.modules if isinstance(sys.modules[n], StubModule)]:
            del sys.modules[name]  # a later real install, or another load, finds them afresh
        return False
