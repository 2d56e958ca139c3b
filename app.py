"""公报问答助手 — the Streamlit entry point (`streamlit run app.py`); the front end lives in ui/."""

from ui.shell import main

main()
