"""Vocabularies of the synthetic demo programme (written for mentormatch)."""

from __future__ import annotations

SKILLS = [
    "python", "javascript", "typescript", "nodejs", "react", "java", "go", "rust", "sql",
    "data analysis", "machine learning", "statistics", "cloud infrastructure", "kubernetes",
    "security", "testing", "ux research", "product management", "project management",
    "public speaking", "technical writing", "people management", "negotiation",
    "career change", "interviewing", "networking", "time management", "open source",
    "mobile development", "system design", "devops", "accessibility", "finance basics",
    "marketing", "sales", "customer success", "leadership", "coaching", "work-life balance",
    "remote work",
]

#: answer variants people type, mapped to the canonical skill
SKILL_SYNONYMS = {
    "node": "nodejs", "node.js": "nodejs", "reactjs": "react", "react.js": "react",
    "js": "javascript", "ts": "typescript", "golang": "go", "ml": "machine learning",
    "k8s": "kubernetes", "postgres": "sql", "ux": "ux research", "pm": "product management",
    "public-speaking": "public speaking", "stats": "statistics", "infosec": "security",
    "qa": "testing", "a11y": "accessibility", "work life balance": "work-life balance",
}

GOALS = [
    "grow technical depth", "move into management", "change career track",
    "prepare for promotion", "build a professional network", "improve communication",
    "start contributing to open source", "find a first job", "launch a side project",
    "build confidence",
]

DEPARTMENTS = ["engineering", "data", "design", "product", "marketing", "sales", "finance",
               "people", "operations", "legal"]

SENIORITY = ["intern", "junior", "mid-level", "senior", "staff", "principal", "director"]

LANGUAGES = ["English", "Spanish", "French", "German", "Portuguese", "Hindi", "Japanese"]

#: (timezone, probability weight, usual languages)
TIMEZONES = [
    ("America/Los_Angeles", 2, ["English", "Spanish"]),
    ("America/New_York", 3, ["English", "Spanish"]),
    ("America/Sao_Paulo", 1, ["Portuguese", "English"]),
    ("Europe/London", 2, ["English"]),
    ("Europe/Berlin", 2, ["German", "English"]),
    ("Europe/Paris", 1, ["French", "English"]),
    ("Asia/Kolkata", 2, ["Hindi", "English"]),
    ("Asia/Tokyo", 1, ["Japanese", "English"]),
]

TRAITS = ["extraversion", "agreeableness", "conscientiousness", "stability", "openness"]

MEETING_MODES = ["video call", "in person", "chat", "no preference"]

HOPES = [
    "I want someone who has led a team to talk through my first months as a manager",
    "Looking for help structuring a portfolio of data projects and getting feedback",
    "I would like guidance on moving from support into software engineering",
    "I hope to practise presenting my work and speaking at meetups",
    "Help me prepare for system design interviews and senior roles",
    "I want to understand how product decisions are made and get into product",
    "Advice on contributing to open source projects and reviewing code",
    "I need help planning my week and balancing work with family",
    "I want to build a network outside my department and learn how others work",
    "Guidance on negotiating salary and asking for a promotion",
]

BIOS = [
    "I have managed engineering teams for years and enjoy helping new leads",
    "Data scientist who loves reviewing portfolios and analysis projects",
    "I switched careers into software myself and like helping others do the same",
    "Regular conference speaker, happy to coach presentations",
    "Staff engineer focused on system design, architecture and interviews",
    "Product manager who enjoys explaining roadmaps and discovery work",
    "Open source maintainer, glad to help with first contributions and code review",
    "Parent of two, I coach people on time management and sustainable pace",
    "I connect people across departments and like broad career conversations",
    "I have hired many people and can help with negotiation and promotion cases",
]
