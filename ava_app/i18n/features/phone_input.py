"""Messages of numbers typed in a form: what to type, with an example of the business's country.

The service builds its message from the country's example ("Enter a phone number, e.g. (201) 555-0123."), so the
French text is listed for every country phone numbers know, from the same examples.
"""

from ava_app.services import phone_input, phones

EN: dict[str, str] = {}

FR: dict[str, str] = {}

FR_SERVICE_MESSAGES: dict[str, str] = {
    **{
        message: f"Saisissez un numéro de téléphone, ex. {phones.example(country)}."
        for country, message in phone_input.format_messages().items()
    },
    phone_input.INTERNATIONAL_MESSAGE: (
        f"Saisissez le numéro avec son indicatif pays, commençant par +, ex. {phone_input.INTERNATIONAL_EXAMPLE}."
    ),
}
