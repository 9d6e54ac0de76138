"""Authentication forms: sign-in, password change, requester registration."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.validators import DataRequired, Email, EqualTo, ValidationError

from app.accounts.passwords import MAX_LENGTH, MIN_LENGTH, password_problems
from app.spaces.fields import CheckboxField, EmailTextField, SecretField, TextField

EMAIL_MAX_LENGTH = 254  # RFC 5321; the users.email column
NAME_MAX_LENGTH = 200  # the users.full_name column
PASSWORD_TOO_LONG = f"Le mot de passe ne doit pas dépasser {MAX_LENGTH} caractères."

PASSWORD_HINT = (
    f"Au moins {MIN_LENGTH} caractères. Une phrase de plusieurs mots est facile à retenir "
    "et difficile à deviner. Évitez les mots de passe courants et votre adresse électronique."
)


def _email_field() -> EmailTextField:
    return EmailTextField(
        "Adresse électronique",
        max_length=EMAIL_MAX_LENGTH,
        too_long="Adresse électronique trop longue.",
        validators=[
            DataRequired("Indiquez votre adresse électronique."),
            Email("Adresse électronique invalide."),
        ],
        filters=[lambda value: value.strip() if value else value],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


def _new_password_field(label: str) -> SecretField:
    return SecretField(
        label,
        max_length=MAX_LENGTH,
        too_long=PASSWORD_TOO_LONG,
        validators=[DataRequired("Choisissez un mot de passe.")],
        render_kw={"autocomplete": "new-password"},
    )


def _confirmation_field() -> SecretField:
    return SecretField(
        "Confirmation du mot de passe",
        max_length=MAX_LENGTH,
        too_long=PASSWORD_TOO_LONG,
        validators=[
            DataRequired("Saisissez le mot de passe une seconde fois."),
            EqualTo("new_password", "Les deux mots de passe ne sont pas identiques."),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def _check_policy(field: Field, email: str | None) -> None:
    problems = password_problems(field.data or "", email=email)
    if problems:
        raise ValidationError(" ".join(problems))


class LoginForm(FlaskForm):
    email = _email_field()
    password = SecretField(
        "Mot de passe",
        max_length=MAX_LENGTH,
        too_long=PASSWORD_TOO_LONG,
        validators=[DataRequired("Indiquez votre mot de passe.")],
        render_kw={"autocomplete": "current-password"},
    )


class PasswordChangeForm(FlaskForm):
    current_password = SecretField(
        "Mot de passe actuel",
        max_length=MAX_LENGTH,
        too_long=PASSWORD_TOO_LONG,
        validators=[DataRequired("Indiquez votre mot de passe actuel.")],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = _new_password_field("Nouveau mot de passe")
    confirmation = _confirmation_field()

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._email = email

    def validate_new_password(self, field: Field) -> None:
        _check_policy(field, self._email)
        if field.data and field.data == self.current_password.data:
            raise ValidationError("Le nouveau mot de passe doit être différent de l'actuel.")


class RegistrationForm(FlaskForm):
    full_name = TextField(
        "Nom et prénom",
        max_length=NAME_MAX_LENGTH,
        validators=[DataRequired("Indiquez votre nom et votre prénom.")],
        filters=[lambda value: " ".join(value.split()) if value else value],
        render_kw={"autocomplete": "name"},
    )
    email = _email_field()
    new_password = _new_password_field("Mot de passe")
    confirmation = _confirmation_field()
    accept_terms = CheckboxField(
        "J'accepte les conditions d'utilisation de la plateforme et le traitement de mes "
        "données personnelles pour l'instruction de ma demande de logement.",
        validators=[
            DataRequired("Vous devez accepter les conditions d'utilisation pour créer un compte.")
        ],
    )

    def validate_new_password(self, field: Field) -> None:
        _check_policy(field, self.email.data)
