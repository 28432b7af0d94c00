"""Socket.IO room names: one per class, per role group and per student."""


def everyone(class_id: str) -> str:
    return f"c:{class_id}"


def staff(class_id: str) -> str:
    return f"c:{class_id}:staff"


def teacher(class_id: str) -> str:
    return f"c:{class_id}:teacher"


def students(class_id: str) -> str:
    return f"c:{class_id}:students"


def stage(class_id: str) -> str:
    return f"c:{class_id}:stage"


def student(class_id: str, student_id: str) -> str:
    return f"c:{class_id}:s:{student_id}"


def cohost(class_id: str) -> str:
    return f"c:{class_id}:cohost"
