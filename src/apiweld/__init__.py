"""apiweld: from an API description to a robust, typed, tested Python integration."""

__version__ = "0.1.0"
