package io.modelgate.gateway.problem;

/** Thrown anywhere below a resource to answer with a {@link Problem}. */
public final class ProblemException extends RuntimeException {
    private final Problem problem;

    public ProblemException(Problem problem) {
        super(problem.detail());
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }
}
