"""Former module, kept for backwards compatibility only: see :mod:`soskulib.compat`.

Its names now live in :mod:`soskulib.process`, :mod:`soskulib.outcomes`,
:mod:`soskulib.synthesis`, :mod:`soskulib.survival` and :mod:`soskulib.intervals`.
"""

from soskulib.compat import forwarder

__getattr__, __dir__ = forwarder("evaluation")
