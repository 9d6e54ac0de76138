"""Authentication forms: sign-in, password change, requester registration."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, Field, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from app.accounts.passwords import MAX_LENGTH, MIN_LENGTH, password_problems

PASSWORD_HINT = (
    f"Au moins {MIN_LENGTH} caractères. Une phrase de plusieurs mots est facile à retenir "
    "et difficile à deviner. Évitez les mots de passe courants et votre adresse électronique."
)


def _email_field() -> EmailField:
    return EmailField(
        "Adresse électronique",
        validators=[
            DataRequired("Indiquez votre adresse électronique."),
            Email("Adresse électronique invalide."),
            Length(max=254, message="Adresse électronique trop longue."),
        ],
        filters=[lambda value: value.strip() if value else value],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


def _new_password_field(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired("Choisissez un mot de passe.")],
        render_kw={"autocomplete": "new-password"},
    )


def _confirmation_field() -> PasswordField:
    return PasswordField(
        "Confirmation du mot de passe",
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
    password = PasswordField(
        "Mot de passe",
        validators=[DataRequired("Indiquez votre mot de passe."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        "Mot de passe actuel",
        validators=[DataRequired("Indiquez votre mot de passe actuel."), Length(max=MAX_LENGTH)],
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
    full_name = StringField(
        "Nom et prénom",
        validators=[
            DataRequired("Indiquez votre nom et votre prénom."),
            Length(max=200, message="200 caractères au plus."),
        ],
        filters=[lambda value: " ".join(value.split()) if value else value],
        render_kw={"autocomplete": "name"},
    )
    email = _email_field()
    new_password = _new_password_field("Mot de passe")
    confirmation = _confirmation_field()
    accept_terms = BooleanField(
        "J'accepte les conditions d'utilisation de la plateforme et le traitement de mes "
        "données personnelles pour l'instruction de ma demande de logement.",
        validators=[
            DataRequired("Vous devez accepter les conditions d'utilisation pour créer un compte.")
        ],
    )

    def validate_new_password(self, field: Field) -> None:
        _check_policy(field, self.email.data)
