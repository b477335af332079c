"""The one exception type that means "the user gave us something we cannot use"."""


class NlpsuiteError(ValueError):
    """Bad input, a missing model or dataset, or a wrong option.

    The CLI prints it as a one-line ``error: ...`` and exits 2; the Streamlit pages show it as a message.
    The text must say what was wrong (file, line, field) and what to do about it.
    """
