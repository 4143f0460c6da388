"""The ``caviar`` command line."""
