using System.Collections.Generic;

namespace Agno.Core
{
    /// <summary>A router's selector named a route the router does not have; the router failed and ran none.</summary>
    public sealed class RouteNotFoundException : AgnoException
    {
        /// <summary>The error for router <paramref name="routerName"/> given <paramref name="route"/>.</summary>
        public RouteNotFoundException(string routerName, string route, IReadOnlyList<string> knownRoutes)
            : base($"Router '{routerName}' has no route '{route}'. Its routes are: {(knownRoutes.Count == 0 ? "(none)" : "'" + string.Join("', '", knownRoutes) + "'")}.")
        {
            RouterName = routerName;
            Route = route;
            KnownRoutes = knownRoutes;
        }

        /// <summary>The router's name.</summary>
        public string RouterName { get; }

        /// <summary>The name its selector gave.</summary>
        public string Route { get; }

        /// <summary>The routes it has.</summary>
        public IReadOnlyList<string> KnownRoutes { get; }

        /// <inheritdoc/>
        public override string ErrorId => "AgnoRouteNotFound";

        /// <inheritdoc/>
        public override AgnoErrorKind Kind => AgnoErrorKind.NotFound;

        /// <inheritdoc/>
        public override object? Target => Route;
    }
}
