export declare const DASHBOARD_OUT: string;
export declare function dashboardStaleReason(root?: string): string | null;
export declare function buildDashboard(root?: string): Promise<{ files: string[]; bytes: number }>;
