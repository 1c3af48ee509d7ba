"""Origin: where the learner's network came from (a preset, a shared link, an import, an upload)."""
from typing import NamedTuple

from i18n import domain

from .quoting import short

_, ngettext = domain("lab")

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
        return {"link": _("The shared link's network"), "import": _("Imported: {file}").format(file=self.file),
                "upload": _("Uploaded: {file}").format(file=self.file)}.get(self.kind, self.name)

    @property
    def about(self):
        """One sentence on what this network is."""
        return {
            "link": _("The network of the link you opened, or of this page's address before a reload: everyone "
                      "who opens it gets these layers, data, seed and settings, so the same initial weights and "
                      "the same first batch."),
            "import": _("The network you imported from {file} and its weights file, at the iteration it was "
                        "exported on.").format(file=self.file),
            "upload": _("Your network as it was when you uploaded {file}, fitted to its classes.").format(
                file=self.file),
        }.get(self.kind, "")

    @property
    def back(self):
        """The label of the button that restores it."""
        return {"link": _("Back to the link's network"), "import": _("Back to the imported network"),
                "upload": _("Back to the network as uploaded")}.get(self.kind, "")

    @property
    def since(self):
        """What the learner did with it: "Your network has changed since ..."."""
        return {"link": _("you opened the link"), "import": _("you imported {file}").format(file=self.file),
                "upload": _("you uploaded {file}").format(file=self.file)}.get(self.kind, _("this preset was loaded"))

    def __repr__(self):
        return f"Origin({self.kind} {self.name!r})"
