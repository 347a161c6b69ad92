"""The holiday schedules the office enters for the years the calendar package lacks (app ``core_calendar``).

``coverage`` says which years the package knows (no Django); ``models`` holds the entered schedules;
``services.save_schedule`` is their only writer; ``selectors`` reads them for the working-day functions
(``tongcheng.core.workdays.db_calendar``); ``checks.missing_schedule_warning`` warns from 1 November
when next year's schedule is missing.
"""
