"""Small template helpers for Bootstrap markup."""

from django import template

register = template.Library()

# Django's BoundField.widget_type -> the Bootstrap class its <input>/<select> needs.
_WIDGET_CLASSES = {
    "checkbox": "form-check-input",
    "radioselect": "form-check-input",
    "checkboxselectmultiple": "form-check-input",
    "select": "form-select",
    "selectmultiple": "form-select",
    "nullbooleanselect": "form-select",
}


@register.filter
def widget_class(bound_field) -> str:
    """The Bootstrap class for the widget: form-control, form-select or form-check-input."""
    return _WIDGET_CLASSES.get(bound_field.widget_type, "form-control")


@register.filter
def add_class(bound_field, css_classes: str):
    """Render a form field's widget with extra CSS classes, keeping the widget's own.

    Adds `is-invalid` when the field has errors, so Bootstrap shows the invalid-feedback below it.
    """
    classes = [bound_field.field.widget.attrs.get("class", ""), css_classes]
    if bound_field.errors:
        classes.append("is-invalid")
    return bound_field.as_widget(attrs={"class": " ".join(c for c in classes if c)})


@register.filter
def nav_active(item, current_url_name) -> bool:
    """Whether a navigation item is the page being shown (tenancy.navigation.NavItem)."""
    return item.is_active(current_url_name)


@register.filter
def nav_flatten(items) -> list:
    """Navigation items with dropdown groups opened up (tenancy.navigation.flatten)."""
    from tenancy.navigation import flatten

    return flatten(items)
