"""Any real-world CSV in, clean validated Parquet and a served model out."""

__version__ = "0.1.0"
