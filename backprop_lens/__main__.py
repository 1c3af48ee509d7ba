"""python -m backprop_lens grade PATH: the grader, whatever a local engine.py is called."""
import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
