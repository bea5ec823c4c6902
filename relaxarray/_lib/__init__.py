"""The ground floor: code that imports nothing of relaxarray above it.

- :mod:`relaxarray._lib._typing`: the typing aliases (``Array``, ``Namespace``, ...);
- :mod:`relaxarray._lib.special`: special functions in pure Array API operations;
- :mod:`relaxarray._lib.threefry`: the Threefry-2x32-20 core of the portable stream and the
  32-bit word operations it runs on;
- :mod:`relaxarray._lib.seeds`: splitting of int seeds and portable keys, the same on every
  backend.

The adapters (:mod:`relaxarray.backends`) import only this layer; a test parses every import
of the package and fails on any cycle or upward import.
"""
