"""Registration and login input: usernames by Django's rules, passwords by its validators.

A username is read through `api_layer.usernames.normalize_username` (stripped, then NFKC) before
any validator sees it: the uniqueness check compares what the database will store, and a login
looks up what registration stored. The database decides uniqueness in the end: of two
registrations of one name at once, both pass the check and the second insert is refused; that
refusal is the same 400 as the check's.
"""

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework import serializers

from api_layer.usernames import normalize_username

User = get_user_model()
USERNAME_TAKEN = User._meta.get_field(User.USERNAME_FIELD).error_messages["unique"]


class UsernameField(serializers.CharField):
    """A username as the accounts store it: `normalize_username` before the validators run."""

    def __init__(self, **kwargs):
        super().__init__(**{**kwargs, "trim_whitespace": False})  # normalize_username strips

    def to_internal_value(self, data):
        return normalize_username(super().to_internal_value(data))


class RegisterSerializer(serializers.ModelSerializer):
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)

    class Meta:
        model = User
        fields = ["username", "password"]

    def build_standard_field(self, field_name, model_field):
        """The model's username field (its validators, uniqueness included), read as stored."""
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        if field_name == User.USERNAME_FIELD:
            field_class = UsernameField
        return field_class, field_kwargs

    def validate(self, attrs):
        # The user is passed so the similarity validator compares the password to the username.
        validate_password(attrs["password"], user=User(username=attrs["username"]))
        return attrs

    def create(self, validated_data):
        user = User(username=validated_data["username"])
        # Slow on purpose, so before the transaction: on SQLite it holds the one write lock.
        user.set_password(validated_data["password"])
        try:
            with transaction.atomic():  # a savepoint, should the request run in a transaction
                user.save()
        except IntegrityError:
            # Registered by a concurrent request since the uniqueness check.
            raise serializers.ValidationError({User.USERNAME_FIELD: [USERNAME_TAKEN]}) from None
        return user


class LoginSerializer(serializers.Serializer):
    username = UsernameField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)

    def validate(self, attrs):
        user = authenticate(
            request=self.context.get("request"),
            username=attrs["username"],
            password=attrs["password"],
        )
        if user is None:
            # One message whether the username exists or not: no account enumeration here.
            raise serializers.ValidationError("Unable to log in with the credentials provided.")
        attrs["user"] = user
        return attrs


class PasswordChangeSerializer(serializers.Serializer):
    """The caller's current password, and a new one that passes Django's validators."""

    current_password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)

    def validate_current_password(self, value):
        if not self.context["request"].user.check_password(value):
            raise serializers.ValidationError("Wrong password.")
        return value

    def validate_new_password(self, value):
        try:
            validate_password(value, user=self.context["request"].user)
        except ValidationError as error:
            raise serializers.ValidationError(list(error.messages)) from None
        return value


class TokenSerializer(serializers.Serializer):
    """What the token endpoint answers: the plain token, shown only this once."""

    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    expiry = serializers.DateTimeField(help_text="When the token stops working.")


class RegisteredSerializer(TokenSerializer):
    """What registration answers: the new username and its first token."""

    username = serializers.CharField()


class MeSerializer(serializers.Serializer):
    """What `GET /api/auth/me/` answers: the caller and the expiry of the token used."""

    username = serializers.CharField()
    expiry = serializers.DateTimeField(help_text="When the token of this request stops working.")
