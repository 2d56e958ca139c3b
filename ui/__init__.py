"""Streamlit page scripts for app.py (the only code besides app.py that imports streamlit)."""
