"""The console's program hub: one page linking the program's sections the role may open."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from tenancy import access, navigation
from tenancy.access import Perm

from .. import navigation as partner_navigation


@login_required
def console_program(request):
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    sections = navigation.menu(actor, partner_navigation.PROGRAM)
    return render(request, "partners/program.html", {"sections": sections})
