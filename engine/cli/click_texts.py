"""Click's own help and error words, listed so the catalogs carry their translations.

Click translates these through the standard `gettext` module's current domain;
`engine.i18n.set_language` points that domain at Lvyue's catalogs.
"""

from __future__ import annotations

from engine.labels import N_

CLICK_TEXTS = (
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Show the version and exit."),
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("No such command {name!r}."),
    N_("No such option {name!r}."),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing command."),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"),
    N_("Aborted!"),
    N_("default: {default}"),
    N_("env var: {var}"),
)
