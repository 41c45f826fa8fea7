"""Registration and login input: usernames by Django's rules, passwords by its validators."""

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from rest_framework import serializers

User = get_user_model()


class RegisterSerializer(serializers.ModelSerializer):
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)

    class Meta:
        model = User
        fields = ["username", "password"]

    def validate(self, attrs):
        # The user is passed so the similarity validator compares the password to the username.
        validate_password(attrs["password"], user=User(username=attrs["username"]))
        return attrs

    def create(self, validated_data):
        return User.objects.create_user(**validated_data)


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
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
