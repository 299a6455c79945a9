"""Instrument specifications (one TOML file per instrument), read by :mod:`soskulib.instruments`."""
