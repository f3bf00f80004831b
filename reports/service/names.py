"""The names the directory gives to the ids reports carry: a peer mentor's
person's name, an activity's name, and the person of a token that changed a
report. An id the directory does not know (a report filed through the API under
any id) has no name, and is shown as the id."""

from dataclasses import dataclass, field

from reports import queries
from reports.db import get_db

from .roles import require_may


@dataclass(frozen=True)
class Names:
    mentors: dict = field(default_factory=dict)
    activities: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)

    def of_mentor(self, peer_mentor_id):
        """The mentor's name, or None."""
        return self.mentors.get(peer_mentor_id)

    def of_activity(self, activity_id):
        """The activity's name, or None."""
        return self.activities.get(activity_id)

    def of_token(self, token_name):
        """The name of the person whose token this is, or None."""
        return self.tokens.get(token_name)


def directory_names(*, caller):
    """The names of every peer mentor (removed people's included, so that their
    reports still name them) and every activity (archived ones included), and the
    person of every token. Only the ids of a report the caller sees are ever
    looked up, so a mentor learns no other mentor's name."""
    require_may("read", caller)
    db = get_db()
    return Names(
        dict(queries.mentor_names(db)),
        dict(queries.activity_names(db)),
        dict(queries.token_people(db)),
    )
