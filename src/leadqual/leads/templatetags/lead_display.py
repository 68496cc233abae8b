"""Template filters that show stored lead values as people read them."""

from __future__ import annotations

from django import template

from leadqual.core.display import unicode_domain, unicode_email

register = template.Library()

register.filter("unicode_domain", unicode_domain, is_safe=True)
register.filter("unicode_email", unicode_email, is_safe=True)
