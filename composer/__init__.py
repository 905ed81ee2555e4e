"""composer: continue music with an LSTM trained on classical pieces, offline.

The library never imports Qt (the GUI lives in ``gui/``) and the generation path never
imports TensorFlow (generation runs on NumPy over exported weights).
"""

__version__ = "0.1.0"
