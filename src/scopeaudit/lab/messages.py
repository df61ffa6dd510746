"""The lab's user-facing messages, in English and French, and the error that carries them.

Messages are rendered when raised, in the language ``resolve_language()`` picks from the
environment: the lab has no contract to take a language from.
"""

from __future__ import annotations

from scopeaudit.errors import LabError
from scopeaudit.i18n import Catalog, render, resolve_language
from scopeaudit.taxonomy import Language

EN, FR = Language.EN, Language.FR

CATALOG: Catalog = {
    "needs_root": {
        EN: "The lab needs root (network namespaces): run it with sudo.",
        FR: "Le laboratoire nécessite root (espaces de noms réseau) : lancez-le avec sudo.",
    },
    "topology_unreadable": {
        EN: "{path}: cannot read the topology file: {error}",
        FR: "{path} : impossible de lire le fichier de topologie : {error}",
    },
    "topology_invalid": {
        EN: "{path}: {where}: {error}",
        FR: "{path} : {where} : {error}",
    },
    "topology_problem": {
        EN: "{path}: {error}",
        FR: "{path} : {error}",
    },
    "kind_missing": {
        EN: "{path}: persona kind file of {persona!r} does not exist yet: {kind}",
        FR: "{path} : le fichier de type de la persona {persona!r} n'existe pas encore : {kind}",
    },
    "kind_invalid": {
        EN: "{kind}: persona kind file is invalid: {error}",
        FR: "{kind} : fichier de type de persona invalide : {error}",
    },
    "bad_name": {
        EN: "Invalid lab name {name!r}: use 1 to 8 lowercase letters or digits.",
        FR: "Nom de laboratoire invalide {name!r} : 1 à 8 lettres minuscules ou chiffres.",
    },
    "name_taken": {
        EN: "A lab named {name!r} is already running: choose another --name or run `lab down --name {name}`.",
        FR: "Un laboratoire nommé {name!r} tourne déjà : choisissez un autre --name ou lancez `lab down --name {name}`.",
    },
    "no_lab": {
        EN: "No lab is running: start one with `scopeaudit lab up fixtures/lab/office.yaml`.",
        FR: "Aucun laboratoire ne tourne : démarrez-en un avec `scopeaudit lab up fixtures/lab/office.yaml`.",
    },
    "not_found": {
        EN: "No running lab is named {name!r} (running: {running}).",
        FR: "Aucun laboratoire en cours ne s'appelle {name!r} (en cours : {running}).",
    },
    "several_labs": {
        EN: "Several labs are running ({running}): say which one with --name.",
        FR: "Plusieurs laboratoires tournent ({running}) : précisez lequel avec --name.",
    },
    "up_failed": {
        EN: "The lab {name!r} could not start: {error}",
        FR: "Le laboratoire {name!r} n'a pas pu démarrer : {error}",
    },
    "up_timeout": {
        EN: "The lab {name!r} was not ready after {seconds} s; it has been torn down (log: {log}).",
        FR: "Le laboratoire {name!r} n'était pas prêt après {seconds} s ; il a été démonté (journal : {log}).",
    },
    "supervisor_gone": {
        EN: "The supervisor of lab {name!r} is not answering: run `scopeaudit lab down --name {name}`.",
        FR: "Le superviseur du laboratoire {name!r} ne répond pas : lancez `scopeaudit lab down --name {name}`.",
    },
    "unknown_persona": {
        EN: "Lab {name!r} has no persona {persona!r} (personas: {known}).",
        FR: "Le laboratoire {name!r} n'a pas de persona {persona!r} (personas : {known}).",
    },
    "unknown_namespace": {
        EN: "Lab {name!r} has no namespace for {target!r} (use a persona id or 'technician').",
        FR: "Le laboratoire {name!r} n'a pas d'espace de noms pour {target!r} (un identifiant de persona ou « technician »).",
    },
    "command_failed": {
        EN: "Lab {name!r}: {error}",
        FR: "Laboratoire {name!r} : {error}",
    },
    "no_command": {
        EN: "Give the command to run after `--`, e.g. `lab exec -- arp-scan --localnet`.",
        FR: "Indiquez la commande à lancer après `--`, par ex. `lab exec -- arp-scan --localnet`.",
    },
    "moved": {
        EN: "{persona}: plugged into port {port} of {switch} ({ifname})",
        FR: "{persona} : branchée sur le port {port} de {switch} ({ifname})",
    },
    "command_not_found": {
        EN: "Command not found in the lab: {command}",
        FR: "Commande introuvable dans le laboratoire : {command}",
    },
}


def text(code: str, **params: object) -> str:
    """One message of the catalog in the user's language."""
    return render(CATALOG, code, params, resolve_language())


def lab_error(code: str, **params: object) -> LabError:
    """A ``LabError`` carrying one catalog message (raise the result)."""
    return LabError(text(code, **params))
