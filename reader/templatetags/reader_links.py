"""``{% page_url 'reader:place' place.pk %}``: ``{% url %}`` for the per-row links of a list
(reader.links)."""

from __future__ import annotations

from django import template

from reader import links

register = template.Library()


@register.simple_tag
def page_url(name: str, pk: int) -> str:
    return links.page_url(name, pk)
