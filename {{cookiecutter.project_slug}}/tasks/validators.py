"""The title rule: 3 to 200 characters of letters (any script), digits and spaces.

Letters include their combining marks, so titles in Devanagari, Thai or Arabic with vowel signs
pass; punctuation, symbols, emoji, control characters and newlines do not.
"""

import unicodedata

from rest_framework.exceptions import ValidationError

ALLOWED_CATEGORIES = ("L", "M", "Nd")  # letters, combining marks, decimal digits


def allowed(character):
    category = unicodedata.category(character)
    return character == " " or category.startswith(ALLOWED_CATEGORIES)


def validate_title(value):
    if not all(allowed(character) for character in value):
        raise ValidationError("Use only letters, digits and spaces.")
