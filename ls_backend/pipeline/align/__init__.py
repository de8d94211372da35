"""Text-to-person alignment: which person in the video each text cluster refers to."""
