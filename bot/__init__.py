"""huongnghiep-bot: career guidance and vocational outreach chatbot for Vietnamese students."""

__version__ = "0.1.0"
