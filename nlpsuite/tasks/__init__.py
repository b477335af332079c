"""App tasks, one module each, all with the shape of ``nlpsuite.tasks.base.Task``."""

from nlpsuite.tasks.base import TASK_CLASSES, Task, TaskConfig, get_task_class

__all__ = ["TASK_CLASSES", "Task", "TaskConfig", "get_task_class"]
