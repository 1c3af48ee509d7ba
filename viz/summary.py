"""summary_table: the network as a table of layers, output shapes and parameter counts."""
import pandas as pd

from i18n import N_, domain
from lab.network import summary_rows

_, ngettext = domain("viz")

# Column widths in pixels: "BatchNormalization(alpha=0.9)" and "Linear(1024, 1024)" fit whole. The keys are
# the columns' English names; summary_table heads them in the current language (summary_widths: its widths).
SUMMARY_COLUMNS = {N_("index"): 48, N_("layer"): 232, N_("output shape"): 104, N_("parameters"): 88}


def summary_widths():
    """{the column's header in the current language: its width in pixels}, for st.column_config."""
    return {_(name): width for name, width in SUMMARY_COLUMNS.items()}


def summary_table(config, inputs, batch_size=None):
    """One row per layer (index, layer, output shape, parameters) and a total row; inputs: a feature count or
    one sample's shape. The headers and the word "total" are in the current language."""
    rows = [{**row, "index": str(row["index"])} for row in summary_rows(config, inputs, batch_size)]
    total = {"index": "", "layer": _("total"), "output shape": "",
             "parameters": sum(row["parameters"] for row in rows)}
    table = pd.DataFrame(rows + [total], columns=list(SUMMARY_COLUMNS))
    return table.rename(columns={name: _(name) for name in SUMMARY_COLUMNS})
