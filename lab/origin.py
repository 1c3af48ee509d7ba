"""Origin: where the learner's network came from (a preset, a shared link, an import, an upload)."""
from typing import NamedTuple

from .quoting import short

KINDS = ("preset", "link", "import", "upload")


class Origin(NamedTuple):
    """kind in KINDS; name: the preset's key or the file's name; config: the network as it came;
    arrays: an import's weights file as read (so going back restores those weights), else None."""

    kind: str
    name: str
    config: object
    arrays: dict = None

    @property
    def file(self):
        """The file's name as messages show it: at most quoting.SHORT characters."""
        return short(self.name)

    @property
    def title(self):
        """How the preset selector names a network that is not a preset."""
        return {"link": "The shared link's network", "import": f"Imported: {self.file}",
                "upload": f"Uploaded: {self.file}"}.get(self.kind, self.name)

    @property
    def about(self):
        """One sentence on what this network is."""
        return {
            "link": "The network of the link you opened, or of this page's address before a reload: everyone "
                    "who opens it gets these layers, data, seed and settings, so the same initial weights and "
                    "the same first batch.",
            "import": f"The network you imported from {self.file} and its weights file, at the iteration "
                      "it was exported on.",
            "upload": f"Your network as it was when you uploaded {self.file}, fitted to its classes.",
        }.get(self.kind, "")

    @property
    def back(self):
        """The label of the button that restores it."""
        return {"link": "Back to the link's network", "import": "Back to the imported network",
                "upload": "Back to the network as uploaded"}.get(self.kind, "")

    @property
    def since(self):
        """What the learner did with it: "Your network has changed since ..."."""
        return {"link": "you opened the link", "import": f"you imported {self.file}",
                "upload": f"you uploaded {self.file}"}.get(self.kind, "this preset was loaded")

    def __repr__(self):
        return f"Origin({self.kind} {self.name!r})"
