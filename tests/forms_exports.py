"""Generated forms exports in the layouts of four form tools, for the reference forms.

Each function writes the files a programme admin would download and returns their
paths. The questions follow the three reference forms (/work/shared/reference-forms),
in our own words; answers are drawn at random (seeded), with the quirks real exports
have: options that contain the separator, spellings that differ only in case, a
resubmitted form, one person in both roles, skipped answers, availability written by
hand, capacity in words.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

FORMS = Path("/work/shared/reference-forms")
FIRST = ["Ada", "Bo", "Cy", "Dee", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jo", "Kit", "Lu",
         "Mo", "Ned", "Oz", "Pia", "Quin", "Rae", "Sol", "Tam", "Uma", "Vic", "Wren", "Xia"]
LAST = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Silva", "Novak", "Haddad", "Kowalski",
        "Mensah", "Rossi", "Nguyen", "Petrov"]


def _names(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    out = []
    for k in range(n):
        out.append((str(rng.choice(FIRST)), f"{rng.choice(LAST)}{k}"))
    return out


def _email(first: str, last: str) -> str:
    return f"{first.lower()}.{last.lower()}@example.org"


def _write_csv(path: Path, header: list[str], rows: list[list[str]], *,
               bom: bool = False) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def _pick(rng: np.random.Generator, pool: list[str], lo: int, hi: int) -> list[str]:
    k = int(rng.integers(lo, hi + 1))
    idx = sorted(rng.choice(len(pool), size=min(k, len(pool)), replace=False).tolist())
    return [pool[i] for i in idx]  # forms list choices in the form's order


# ------------------------------------------------------------- Google Forms
GALAXY_AREAS = ["Galaxy training (tutorials, GTN)", "Tool development", "Workflows",
                "Genomics", "Proteomics", "Data analysis", "Galaxy administration",
                "Community building"]
LANGUAGES = ["English", "Spanish", "French", "Portuguese", "German"]
GOOGLE_TIMES = ["Mon, Wed 6pm-8pm", "Tue 18:00-20:00", "Sat 10am-12pm", "Sun 23:00-01:00",
                "weekdays 7-8pm", "Mon 18:00-20:00, Thu 07:00-08:00", "Fri noon-2pm",
                "Wed 19:00-21:00; Sat 09:00-11:00"]
ZONES = ["Europe/Berlin", "America/New_York", "Africa/Lagos", "Asia/Kolkata",
         "Europe/London", "America/Sao_Paulo"]


def google_forms(folder: Path, *, n_mentees: int = 36, n_mentors: int = 14,
                 seed: int = 0) -> dict[str, Path]:
    """An open-source community's two Google Forms (mentee and mentor applications).

    Google Forms CSV: ``Timestamp`` as ``2026/03/01 10:15:32 AM GMT+1``, ``Email
    Address``, checkbox answers joined by ``", "`` (one option holds a comma), a grid
    ``Question [Item]``. One mentee resubmitted (same e-mail, later time, other
    answers); one person answered both forms.
    """
    rng = np.random.default_rng(seed)
    people = _names(rng, n_mentees + n_mentors)
    common = ["Timestamp", "Email Address", "First Name", "Last Name", "Pronouns"]
    grid = ["How do you like to work? [Structured sessions]",
            "How do you like to work? [Written feedback]",
            "How do you like to work? [Pair working]"]

    def stamp(k: int, minute: int = 0) -> str:
        hour = 9 + k % 3
        return f"2026/02/{1 + k % 27:02d} {hour}:{10 + minute:02d}:05 AM GMT+1"

    mentee_head = [*common, "Age (in ranges)", "Areas you want help with",
                   "Which languages can you hold calls in?",
                   "How often would you like to meet your mentor?",
                   "What goal would you like to work on with your mentor?",
                   "When are you usually free? (your local time)", "Time zone", *grid]
    mentees = []
    for k in range(n_mentees):
        first, last = people[k]
        mentees.append([
            stamp(k), _email(first, last), first, last, str(rng.choice(["she/her", "he/him",
                                                                        "they/them", ""])),
            str(rng.choice(["20-30", "30-40", "40-50", "50 - 60", "Prefer not to say"])),
            ", ".join(_pick(rng, GALAXY_AREAS, 1, 3)),
            ", ".join(["English", *_pick(rng, LANGUAGES[1:], 0, 1)]),
            str(rng.choice(["Once a week", "Every 2 weeks", "Once a month"])),
            str(rng.choice(["Build a tool for my lab's pipeline",
                            "Write my first Galaxy tutorial",
                            "Run a variant calling analysis on my data",
                            "Learn to administer a Galaxy server"])),
            str(rng.choice(GOOGLE_TIMES)), str(rng.choice(ZONES)),
            *[str(rng.choice(["Strongly agree", "Agree", "Neither agree nor disagree",
                              "Disagree"])) for _ in grid],
        ])
    # a resubmission: the same e-mail, later, with other areas
    again = list(mentees[3])
    again[0] = "2026/02/28 4:45:00 PM GMT+1"
    again[6] = "Genomics"
    mentees.append(again)
    mentor_head = [*common, "Areas you can mentor in",
                   "Which languages can you hold calls in?",
                   "Can you commit 30 minutes every two weeks?",
                   "How many mentees could you take on?",
                   "When are you usually free? (your local time)", "Time zone", *grid]
    mentors = []
    for k in range(n_mentors):
        first, last = people[n_mentees + k]
        if k == 0:  # one person answered both forms
            first, last = people[0]
        mentors.append([
            stamp(k, 30), _email(first, last).upper() if k == 1 else _email(first, last),
            first, last, str(rng.choice(["she/her", "he/him", "they/them"])),
            ", ".join(_pick(rng, GALAXY_AREAS, 2, 5)),
            ", ".join(["English", *_pick(rng, LANGUAGES[1:], 0, 2)]),
            "Yes", str(rng.choice(["1", "2", "3"])),
            str(rng.choice(GOOGLE_TIMES)), str(rng.choice(ZONES)),
            *[str(rng.choice(["Strongly agree", "Agree", "Neither agree nor disagree",
                              "Disagree"])) for _ in grid],
        ])
    return {"mentees": _write_csv(folder / "Mentee application (Responses).csv", mentee_head,
                                  mentees),
            "mentors": _write_csv(folder / "Mentor application (Responses).csv", mentor_head,
                                  mentors)}


# ---------------------------------------------------------- Microsoft Forms
SITES = ["Fort Washington", "Malvern", "Spring House", "West Chester", "Horsham"]
FUNCTIONS = ["R&D Engineer", "R&D Scientist (Pharma)", "Supply Chain (Management)",
             "Finance", "Marketing", "Quality Assurance and/or Compliance", "Data Science",
             "Regulatory Affairs"]
SKILLS = ["Communication with Upper Management", "People Management",
          "Work Life Balance/Integration", "Public Speaking", "Managing Up",
          "Communication Skills (Listening, Speaking or Writing)",
          "Time Management (Planning, Organizing & Prioritizing)", "Project Management"]
YESNO = ["Definitely Yes", "Yes, but not my first choice", "No"]
CAPACITY = ["One mentee only, please!", "I'm willing to take on two mentees.",
            "I can handle this! Give me three mentees."]


def microsoft_forms(folder: Path, *, n: int = 48, seed: int = 1) -> dict[str, Path]:
    """A corporate programme's one Microsoft Form for both roles, as an Excel workbook.

    Microsoft Forms ``.xlsx``: ``ID`` (response number), ``Start time``, ``Completion
    time``, ``Email``, ``Name``, then the questions; multi-select answers end with
    ``;``; the role question has a "Both" answer; capacity in words; preferred mentors
    by employee id; the workbook holds a second sheet.
    """
    import openpyxl

    rng = np.random.default_rng(seed)
    people = _names(rng, n)
    head = ["ID", "Start time", "Completion time", "Email", "Name", "Employee ID",
            "Are you signing up as a mentor or a mentee?", "Which is your home office?",
            "Which of the following most closely matches your function?",
            "Years with the company", "Which of these skills do you have?",
            "Which of these mentor skills are important to you?",
            "How many mentees are you willing to mentor?",
            "Employee IDs of mentors you would like (optional)"]
    roles = ["Mentor"] * (n // 3) + ["Mentee"] * (n - n // 3 - 2) + ["Both", "Both"]
    rows = []
    mentor_ids = [f"E{1000 + k}" for k, r in enumerate(roles) if r in ("Mentor", "Both")]
    for k, role in enumerate(roles):
        first, last = people[k]
        mentors = role in ("Mentor", "Both")
        mentee = role in ("Mentee", "Both")
        rows.append([
            str(k + 1), f"3/{1 + k % 20}/26 9:{k % 60:02d}:00",
            f"3/{1 + k % 20}/26 9:{(k + 7) % 60:02d}:00", _email(first, last),
            f"{first} {last}", f"E{1000 + k}", role, str(rng.choice(SITES)),
            str(rng.choice(FUNCTIONS)), str(int(rng.integers(0, 30))),
            "".join(s + ";" for s in _pick(rng, SKILLS, 2, 5)) if mentors else "",
            "".join(s + ";" for s in _pick(rng, SKILLS, 1, 3)) if mentee else "",
            str(rng.choice(CAPACITY)) if mentors else "",
            ";".join(_pick(rng, mentor_ids, 0, 2)) if role == "Mentee" else "",
        ])
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Sheet1"
    ws.append(head)
    for r in rows:
        ws.append(r)
    book.create_sheet("Notes").append(["exported from Microsoft Forms"])
    path = folder / "Mentoring sign-up 2026(1-48).xlsx"
    book.save(path)
    return {"mentees": path}


# ------------------------------------------------------------------ Typeform
def _profiles() -> list[dict]:
    return json.loads((FORMS / "coding-mentors" / "mentors_deidentified.json").read_text(
        encoding="utf-8"))


def typeform(folder: Path, *, n_mentors: int = 60, n_mentees: int = 40,
             seed: int = 2) -> dict[str, Path]:
    """A coding-mentor site's Typeform for both roles (real de-identified mentor tags).

    Typeform CSV: ``#`` (a response token), questions as written, ``Start Date (UTC)``,
    ``Submit Date (UTC)``, ``Network ID``; tags as typed (``node``, ``Node.js``,
    ``reactjs``); availability as people write it; mentees name wished-for mentors by
    their site handle.
    """
    rng = np.random.default_rng(seed)
    profiles = _profiles()[:n_mentors]
    people = _names(rng, n_mentors + n_mentees)
    head = ["#", "What's your name?", "And your email?", "What brings you here?",
            "Your site handle", "Which technologies? (comma separated)",
            "Languages you speak", "When can you meet? (e.g. Mon, Wed 6pm-8pm)",
            "Your timezone", "Handles of mentors you'd like (optional)",
            "Start Date (UTC)", "Submit Date (UTC)", "Network ID"]
    rows = []
    lang = {"en": "English", "es": "Spanish", "de": "German", "fr": "French", "pt": "Portuguese",
            "he": "Hebrew", "ru": "Russian", "it": "Italian"}
    handles = [p["mentor_id"] for p in profiles]
    all_tags = sorted({t for p in profiles for t in p["tags"] or []})
    for k, p in enumerate(profiles):
        first, last = people[k]
        langs = [lang.get(x, "English") for x in p["spokenLanguages"] or ["en"]]
        rows.append([
            f"tok{k:04d}", f"{first} {last}", _email(first, last), "I want to mentor",
            p["mentor_id"], ", ".join(p["tags"] or ["javascript"]), ", ".join(
                dict.fromkeys(langs)), str(rng.choice(GOOGLE_TIMES)),
            str(rng.choice(ZONES)), "", f"2026-03-0{1 + k % 9} 10:00:00",
            f"2026-03-0{1 + k % 9} 10:0{k % 10}:00", f"net{k}"])
    for k in range(n_mentees):
        first, last = people[n_mentors + k]
        wants = _pick(rng, all_tags[:80], 1, 3)
        rows.append([
            f"tok{1000 + k:04d}", f"{first} {last}", _email(first, last),
            "I'm looking for a mentor", f"learner{k}", ", ".join(wants),
            "English" if k % 4 else "English, Spanish", str(rng.choice(GOOGLE_TIMES)),
            str(rng.choice(ZONES)), ", ".join(_pick(rng, handles, 0, 2)),
            f"2026-03-1{k % 9} 11:00:00", f"2026-03-1{k % 9} 11:0{k % 10}:00",
            f"net{100 + k}"])
    return {"mentees": _write_csv(folder / "responses.csv", head, rows)}


# ------------------------------------------------------------------ Qualtrics
def qualtrics(folder: Path, *, n_mentors: int = 30, n_mentees: int = 30,
              seed: int = 3) -> dict[str, Path]:
    """A coding-mentor site's Qualtrics survey for both roles.

    Qualtrics CSV: three header rows (question ids, question texts, import ids),
    metadata columns (``StartDate``, ``ResponseId``, ``IPAddress``, ...), a Likert
    matrix ``Q5_1`` .. ``Q5_3`` answered in words, availability as checkboxes
    ("Weekday evenings,Weekend mornings") with a timezone question.
    """
    rng = np.random.default_rng(seed)
    profiles = _profiles()[200:200 + n_mentors]
    people = _names(rng, n_mentors + n_mentees)
    ids = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
           "Finished", "RecordedDate", "ResponseId", "RecipientLastName",
           "RecipientFirstName", "RecipientEmail", "ExternalReference", "LocationLatitude",
           "LocationLongitude", "DistributionChannel", "UserLanguage", "Q1", "Q2", "Q3", "Q4",
           "Q5_1", "Q5_2", "Q5_3", "Q6", "Q7"]
    texts = ["Start Date", "End Date", "Response Type", "IP Address", "Progress",
             "Duration (in seconds)", "Finished", "Recorded Date", "Response ID",
             "Recipient Last Name", "Recipient First Name", "Recipient Email",
             "External Data Reference", "Location Latitude", "Location Longitude",
             "Distribution Channel", "User Language", "I would like to...", "Full name",
             "Email address", "Topics (comma separated)",
             "How much do you agree? - I prefer a fixed agenda",
             "How much do you agree? - I like to get homework",
             "How much do you agree? - I enjoy pair programming",
             "When are you available? (select all)", "Time zone"]
    imports = [json.dumps({"ImportId": v}) for v in ids]
    agree = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree",
             "Strongly agree"]
    boxes = ["Weekday mornings", "Weekday evenings", "Weekend mornings",
             "Weekend afternoons"]
    rows = []
    all_tags = sorted({t for p in profiles for t in p["tags"] or []})
    for k in range(n_mentors + n_mentees):
        first, last = people[k]
        mentor = k < n_mentors
        tags = (profiles[k]["tags"] or ["javascript"]) if mentor else _pick(rng, all_tags, 1, 3)
        rows.append([
            "2026-03-02 09:00:00", f"2026-03-02 09:{k % 60:02d}:00", "IP Address",
            f"192.0.2.{k}", "100", "300", "True", f"2026-03-02 09:{k % 60:02d}:01",
            f"R_{k:06d}x", "", "", "", "", "", "", "anonymous", "EN",
            "Mentor others" if mentor else "Find a mentor", f"{first} {last}",
            _email(first, last), ",".join(tags),
            *[str(rng.choice(agree)) for _ in range(3)],
            ",".join(_pick(rng, boxes, 1, 3)), str(rng.choice(ZONES))])
    path = folder / "Mentoring_March 2026_Responses.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerows([ids, texts, imports, *rows])
    return {"mentees": path}
