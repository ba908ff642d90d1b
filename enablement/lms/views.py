"""LMS pages. Portal: My learning, search, course, module, quiz attempt. Console: course
authoring (modules, quiz questions, publish/retire). Thin: one access check, one service or
selector call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from tenancy import access
from tenancy.access import Perm
from tenancy.common.lists import Column, list_page
from tenancy.uploads import stored_file_response
from tenancy.views import apply_errors, require_console, require_tenant

from . import selectors, services
from .filters import ConsoleCourseFilter, PortalCourseFilter
from .forms import CourseForm, ModuleForm, PathForm, QuestionForm, QuizForm
from .models import CourseStatus, ModuleKind

try:  # assets are another area; search them when that area is installed
    from enablement.assets.selectors import search_assets
except ImportError:  # pragma: no cover - depends on the assets area
    search_assets = None


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- Lists -------------------------------------------------------------------------------------


def _my_progress(course) -> str:
    if course.my_completed:
        return str(_lazy("Completed"))
    return str(_lazy("Enrolled") if course.my_enrolled else _lazy("Not started"))


PORTAL_COURSE_SORTS = {
    "title": "title",
    "hours": ("estimated_hours", "title"),
    "modules": ("modules_total", "title"),
}
PORTAL_COURSE_COLUMNS = [
    Column(_lazy("Course"), "title"),
    Column(_lazy("Estimated hours"), "estimated_hours"),
    Column(_lazy("Modules"), "modules_total"),
    Column(_lazy("Foundation (101)"), "is_foundation"),
    Column(_lazy("My progress"), _my_progress),
]
CONSOLE_COURSE_SORTS = {
    "title": "title",
    "status": ("status", "title"),
    "hours": ("estimated_hours", "title"),
    "modules": ("module_count", "title"),
    "enrolled": ("enrolled", "title"),
    "completed": ("completed", "title"),
}
CONSOLE_COURSE_COLUMNS = [
    Column(_lazy("Course"), "title"),
    Column(_lazy("Status"), "get_status_display"),
    Column(_lazy("Foundation (101)"), "is_foundation"),
    Column(_lazy("Audience"), "audience_labels"),
    Column(_lazy("Estimated hours"), "estimated_hours"),
    Column(_lazy("Modules"), "module_count"),
    Column(_lazy("Enrolled"), "enrolled"),
    Column(_lazy("Completed"), "completed"),
]


# --- Portal ------------------------------------------------------------------------------------


@login_required
def portal_courses(request):
    """Every course the learner may take: search, their progress, sort, pages, CSV."""
    actor = access.require_portal(request)
    listing = list_page(
        request,
        selectors.portal_course_catalogue(actor),
        filterset_class=PortalCourseFilter,
        sorts=PORTAL_COURSE_SORTS,
        default_sort="title",
        columns=PORTAL_COURSE_COLUMNS,
        filename="courses",
        page_size=25,
    )
    if listing.export is not None:
        return listing.export
    return render(request, "enablement/lms/portal_courses.html", {"listing": listing})


@login_required
def portal_learning(request):
    actor = access.require_portal(request)
    learning = selectors.my_learning(actor)
    return render(request, "enablement/lms/portal_learning.html", {"learning": learning})


@login_required
def portal_search(request):
    actor = access.require_portal(request)
    q = request.GET.get("q", "").strip()[:200]
    courses = list(selectors.search_courses(actor, q)[:50])
    assets = list(search_assets(actor, q)[:50]) if (search_assets and q) else []
    return render(
        request,
        "enablement/lms/portal_search.html",
        {"q": q, "courses": courses, "assets": assets, "assets_enabled": bool(search_assets)},
    )


@login_required
def portal_course(request, course_uuid):
    actor = access.require_portal(request)
    page = selectors.course_page(actor, course_uuid)
    return render(request, "enablement/lms/portal_course.html", {"page": page})


@login_required
@require_POST
def portal_course_enroll(request, course_uuid):
    actor = access.require_portal(request)
    course = selectors.course_for_learner(actor, course_uuid)
    services.enroll(actor=actor, course=course)
    messages.success(request, _("You are enrolled in %(c)s.") % {"c": course.title})
    return redirect("portal_course", course_uuid=course.uuid)


@login_required
def portal_module(request, course_uuid, module_uuid):
    actor = access.require_portal(request)
    module = selectors.module_for_learner(actor, course_uuid, module_uuid)
    context = {"module": module, "course": module.course}
    if module.kind == ModuleKind.QUIZ:
        quiz = module.quiz
        attempts = selectors.attempts_for(actor, quiz)
        context.update(
            quiz=quiz,
            attempts=attempts,
            attempts_left=max(0, quiz.attempts_allowed - len(attempts)),
            open_attempt=next((a for a in attempts if a.submitted_at is None), None),
        )
    return render(request, "enablement/lms/portal_module.html", context)


def _module_file_response(module):
    if module.kind != ModuleKind.FILE:
        raise Http404
    return stored_file_response(
        module.file,
        filename=module.file_name or module.file.name.rsplit("/", 1)[-1],
        content_type=module.file_type or "application/octet-stream",
    )


@login_required
@require_GET
def portal_module_file(request, course_uuid, module_uuid):
    """A file module's file, for whoever may open the module (portal users of a visible,
    published course; program staff)."""
    actor = require_tenant(request)
    access.require_file_reader(actor)
    return _module_file_response(selectors.module_for_learner(actor, course_uuid, module_uuid))


@login_required
@require_GET
def console_module_file(request, course_uuid, module_uuid):
    """The same file from the console, also of draft and retired courses."""
    actor = require_console(request, Perm.PROGRAM_VIEW)
    return _module_file_response(selectors.console_module(actor, course_uuid, module_uuid))


@login_required
@require_POST
def portal_module_complete(request, course_uuid, module_uuid):
    actor = access.require_portal(request)
    module = selectors.module_for_learner(actor, course_uuid, module_uuid)
    try:
        services.module_complete(actor=actor, module=module)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("portal_module", course_uuid=course_uuid, module_uuid=module_uuid)
    messages.success(request, _("Module completed."))
    return redirect("portal_course", course_uuid=course_uuid)


@login_required
@require_POST
def portal_quiz_start(request, course_uuid, module_uuid):
    actor = access.require_portal(request)
    module = selectors.module_for_learner(actor, course_uuid, module_uuid)
    if module.kind != ModuleKind.QUIZ:
        return redirect("portal_module", course_uuid=course_uuid, module_uuid=module_uuid)
    try:
        attempt = services.start_attempt(actor=actor, quiz=module.quiz)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("portal_module", course_uuid=course_uuid, module_uuid=module_uuid)
    return redirect("portal_quiz_attempt", attempt_uuid=attempt.uuid)


@login_required
def portal_quiz_attempt(request, attempt_uuid):
    actor = access.require_portal(request)
    attempt = selectors.attempt_for_actor(actor, attempt_uuid)
    questions = selectors.attempt_questions(attempt)
    errors: list[str] = []
    unanswered: set[int] = set()
    chosen: dict[int, list[str]] = {}
    if request.method == "POST" and attempt.submitted_at is None:
        chosen = {q.pk: request.POST.getlist(f"q{q.pk}") for q in questions}
        try:
            attempt = services.submit_attempt(actor=actor, attempt=attempt, answers=chosen)
        except services.UnansweredQuestions as error:
            unanswered = error.question_ids
        except ValidationError as error:
            errors = error.messages
        else:
            return redirect("portal_quiz_attempt", attempt_uuid=attempt.uuid)
    quiz = attempt.quiz
    used = len(selectors.attempts_for(actor, quiz))
    # The form again with the answers typed so far, each unanswered question marked beside it.
    rows = [
        {
            "question": q,
            "chosen": {str(c) for c in chosen.get(q.pk, [])},
            "unanswered": q.pk in unanswered,
        }
        for q in (questions if attempt.submitted_at is None else [])
    ]
    return render(
        request,
        "enablement/lms/portal_attempt.html",
        {
            "attempt": attempt,
            "quiz": quiz,
            "module": quiz.module,
            "course": quiz.module.course,
            "rows": rows,
            "errors": errors,
            "unanswered_count": len(unanswered),
            "review": selectors.attempt_review(attempt),
            "outcomes": selectors.attempt_outcome_notes(attempt),
            "attempts_left": max(0, quiz.attempts_allowed - used),
        },
        status=400 if (errors or unanswered) else 200,
    )


# --- Console -----------------------------------------------------------------------------------


@login_required
def console_learning(request, path_form=None):
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    form = CourseForm()
    if request.method == "POST" and path_form is None:
        access.require(actor, Perm.PROGRAM_MANAGE)
        form = CourseForm(request.POST)
        if form.is_valid():
            try:
                course = services.course_create(actor=actor, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Course created as a draft."))
                return redirect("console_learning_course", course_uuid=course.uuid)
    listing = list_page(
        request,
        selectors.console_courses(actor),
        filterset_class=ConsoleCourseFilter,
        sorts=CONSOLE_COURSE_SORTS,
        default_sort="title",
        columns=CONSOLE_COURSE_COLUMNS,
        filename="courses",
    )
    if listing.export is not None:
        return listing.export
    return render(
        request,
        "enablement/lms/console_learning.html",
        {
            "listing": listing,
            "paths": selectors.learning_paths(),
            "form": form,
            "path_form": path_form or PathForm(prefix="path"),
            "can_manage": actor.has(Perm.PROGRAM_MANAGE),
        },
        status=400 if (form.errors or (path_form and path_form.errors)) else 200,
    )


@login_required
def console_learning_path(request):
    """Save the learning path of a partner role (POST); the role's users are enrolled."""
    actor = access.require_console(request, Perm.PROGRAM_MANAGE)
    if request.method != "POST":
        return redirect("console_learning")
    path_form = PathForm(request.POST, prefix="path")
    if path_form.is_valid():
        data = path_form.cleaned_data
        try:
            services.path_save(
                actor=actor,
                role=data["role"],
                name=data["name"],
                description=data["description"],
                courses=path_form.ordered_courses(),
            )
        except ValidationError as error:
            apply_errors(path_form, error)
        else:
            messages.success(request, _("Learning path saved."))
            return redirect("console_learning")
    return console_learning(request, path_form=path_form)


@login_required
def console_course(request, course_uuid):
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    course = selectors.console_course(actor, course_uuid)
    form = CourseForm(instance=course)
    module_form = ModuleForm(prefix="module")
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
        if "module-title" in request.POST:
            module_form = ModuleForm(request.POST, request.FILES, prefix="module")
            if module_form.is_valid():
                try:
                    module = services.module_create(
                        actor=actor, course=course, **module_form.cleaned_data
                    )
                except ValidationError as error:
                    apply_errors(module_form, error)
                else:
                    messages.success(request, _("Module added."))
                    return redirect(
                        "console_learning_module", course_uuid=course.uuid, module_uuid=module.uuid
                    )
        else:
            form = CourseForm(request.POST, instance=course)
            if form.is_valid():
                try:
                    services.course_update(actor=actor, course=course, **form.cleaned_data)
                except ValidationError as error:
                    apply_errors(form, error)
                else:
                    messages.success(request, _("Course saved."))
                    return redirect("console_learning_course", course_uuid=course.uuid)
    return render(
        request,
        "enablement/lms/console_course.html",
        {
            "course": course,
            "modules": course.modules.all(),
            "form": form,
            "module_form": module_form,
            "can_manage": actor.has(Perm.PROGRAM_MANAGE),
        },
        status=400 if (form.errors or module_form.errors) else 200,
    )


@login_required
@require_POST
def console_course_status(request, course_uuid):
    actor = access.require_console(request, Perm.PROGRAM_MANAGE)
    course = selectors.console_course(actor, course_uuid)
    status = request.POST.get("status", "")
    if status not in (CourseStatus.PUBLISHED, CourseStatus.RETIRED):
        raise PermissionDenied(_("Unknown status."))
    try:
        services.course_set_status(actor=actor, course=course, status=status)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Course is now %(s)s.") % {"s": course.get_status_display()})
    return redirect("console_learning_course", course_uuid=course.uuid)


@login_required
def console_module(request, course_uuid, module_uuid):
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    module = selectors.console_module(actor, course_uuid, module_uuid)
    quiz = getattr(module, "quiz", None) if module.kind == ModuleKind.QUIZ else None
    form = ModuleForm(instance=module, prefix="module")
    quiz_form = QuizForm(instance=quiz, prefix="quiz") if quiz else None
    question_form = QuestionForm(prefix="question")
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
        action = request.POST.get("action", "module")
        target, call = form, None
        if action == "quiz" and quiz:
            target = quiz_form = QuizForm(request.POST, instance=quiz, prefix="quiz")
            call = lambda data: services.quiz_update(actor=actor, quiz=quiz, **data)  # noqa: E731
        elif action == "question" and quiz:
            target = question_form = QuestionForm(request.POST, prefix="question")
            call = lambda data: services.question_create(  # noqa: E731
                actor=actor,
                quiz=quiz,
                text=data["text"],
                kind=data["kind"],
                choices=question_form.parsed_choices(),
            )
        elif action == "module":
            target = form = ModuleForm(
                request.POST, request.FILES, instance=module, prefix="module"
            )
            call = lambda data: services.module_update(actor=actor, module=module, **data)  # noqa: E731
        if call is not None and target.is_valid():
            try:
                call(target.cleaned_data)
            except ValidationError as error:
                apply_errors(target, error)
            else:
                messages.success(request, _("Saved."))
                return redirect(
                    "console_learning_module", course_uuid=course_uuid, module_uuid=module_uuid
                )
    errors = form.errors or (quiz_form and quiz_form.errors) or question_form.errors
    return render(
        request,
        "enablement/lms/console_module.html",
        {
            "module": module,
            "course": module.course,
            "form": form,
            "quiz": quiz,
            "quiz_form": quiz_form,
            "question_form": question_form,
            "questions": selectors.quiz_questions(quiz) if quiz else [],
            "can_manage": actor.has(Perm.PROGRAM_MANAGE),
        },
        status=400 if errors else 200,
    )
