"""summary_table: the network as a table of layers, output shapes and parameter counts."""
import pandas as pd

from lab.network import summary_rows

# Column widths in pixels: "BatchNormalization(alpha=0.9)" and "Linear(1024, 1024)" fit whole.
SUMMARY_COLUMNS = {"index": 48, "layer": 232, "output shape": 104, "parameters": 88}


def summary_table(config, inputs, batch_size=None):
    """One row per layer (index, layer, output shape, parameters) and a total row; inputs: a feature count or
    one sample's shape."""
    rows = [{**row, "index": str(row["index"])} for row in summary_rows(config, inputs, batch_size)]
    total = {"index": "", "layer": "total", "output shape": "",
             "parameters": sum(row["parameters"] for row in rows)}
    return pd.DataFrame(rows + [total], columns=list(SUMMARY_COLUMNS))
