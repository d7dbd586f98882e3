package dev.modelship.operator.status;

/** Something the artifact Job needs that is missing, found before creating it. */
public record PreconditionProblem(String reason, String message) {}
